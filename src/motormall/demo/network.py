"""Static data for the demo dealer network: brands, model lines, colours, cities, towers.

Everything here is plain data for seeding a believable demo. Prices are realistic
manufacturer guide prices (MSRP, CNY, incl. VAT) for the mainland-China 2025/2026 model
year as best known at the time of writing; they are illustrative figures for the demo,
not quotations, and they are not kept up to date. Lines announced but not yet priced
(e.g. the Neue Klasse iX3 built in Shenyang) carry estimated figures.

Dealer group names are invented and do not refer to any real company.
Coordinates are WGS84 (not GCJ-02) and point at the centre of a city or district.
"""

from __future__ import annotations

from typing import TypedDict


class ModelSpec(TypedDict):
    brand: str
    name: str
    body_type: str
    powertrain: str
    trims: list[tuple[str, str]]


class CitySpec(TypedDict):
    name: str
    name_zh: str
    lat: float
    lon: float
    districts: list[tuple[str, str, float, float]]


class TowerSpec(TypedDict):
    code: str
    city: str
    lat: float
    lon: float
    bays: int


# ---------------------------------------------------------------------------------------
# Brands
# ---------------------------------------------------------------------------------------

BRANDS: list[tuple[str, str]] = [
    ("BMW", "BMW"),
    ("MINI", "MINI"),
    ("FORD", "Ford"),
]

# ---------------------------------------------------------------------------------------
# Model lines and trims (guide prices in CNY)
# ---------------------------------------------------------------------------------------

MODELS: list[ModelSpec] = [
    # --- BMW (BMW Brilliance, Shenyang, unless noted as imported) ----------------------
    {
        "brand": "BMW",
        "name": "2 Series Gran Coupe",  # imported
        "body_type": "sedan",
        "powertrain": "ice",
        "trims": [
            ("220 M Sport", "249900.00"),
            ("220 M Sport Pro", "269900.00"),
            ("M235 xDrive", "399900.00"),
        ],
    },
    {
        "brand": "BMW",
        "name": "3 Series Li",
        "body_type": "sedan",
        "powertrain": "ice",
        "trims": [
            ("320Li M Sport", "299900.00"),
            ("325Li M Sport", "339900.00"),
            ("325Li xDrive M Sport", "369900.00"),
        ],
    },
    {
        "brand": "BMW",
        "name": "i3",
        "body_type": "sedan",
        "powertrain": "bev",
        "trims": [
            ("eDrive35L", "353900.00"),
            ("eDrive35L Night Package", "369900.00"),
            ("eDrive40L Night Package", "413900.00"),
        ],
    },
    {
        "brand": "BMW",
        "name": "4 Series Gran Coupe",  # imported
        "body_type": "coupe",
        "powertrain": "ice",
        "trims": [
            ("425i Gran Coupe M Sport", "439900.00"),
            ("425i Gran Coupe M Sport Shadow Edition", "459900.00"),
            ("M440i xDrive Gran Coupe", "599900.00"),
        ],
    },
    {
        "brand": "BMW",
        "name": "i4",  # imported
        "body_type": "coupe",
        "powertrain": "bev",
        "trims": [
            ("eDrive35 M Sport", "439900.00"),
            ("eDrive40 M Sport", "479900.00"),
            ("M50 xDrive", "579900.00"),
        ],
    },
    {
        "brand": "BMW",
        "name": "5 Series Li",
        "body_type": "sedan",
        "powertrain": "ice",
        "trims": [
            ("525Li Luxury", "439900.00"),
            ("525Li M Sport", "459900.00"),
            ("530Li xDrive M Sport", "529900.00"),
        ],
    },
    {
        "brand": "BMW",
        "name": "i5",
        "body_type": "sedan",
        "powertrain": "bev",
        "trims": [
            ("eDrive35L Luxury", "449900.00"),
            ("eDrive35L M Sport", "479900.00"),
            ("M60 xDrive", "759900.00"),
        ],
    },
    {
        "brand": "BMW",
        "name": "7 Series",  # imported
        "body_type": "sedan",
        "powertrain": "ice",
        "trims": [
            ("735Li M Sport", "918000.00"),
            ("740Li Luxury", "1148000.00"),
            ("760Li xDrive", "1758000.00"),
        ],
    },
    {
        "brand": "BMW",
        "name": "i7",  # imported
        "body_type": "sedan",
        "powertrain": "bev",
        "trims": [
            ("eDrive50L Luxury", "899000.00"),
            ("xDrive60L M Sport", "1459000.00"),
            ("M70L xDrive", "1959000.00"),
        ],
    },
    {
        "brand": "BMW",
        "name": "X1",
        "body_type": "suv",
        "powertrain": "ice",
        "trims": [
            ("sDrive20Li X Line", "289900.00"),
            ("sDrive25Li M Sport", "319900.00"),
            ("xDrive25Li M Sport", "339900.00"),
        ],
    },
    {
        "brand": "BMW",
        "name": "iX1",
        "body_type": "suv",
        "powertrain": "bev",
        "trims": [
            ("eDrive25L X Line", "299900.00"),
            ("eDrive25L M Sport", "319900.00"),
            ("xDrive30L M Sport", "392900.00"),
        ],
    },
    {
        "brand": "BMW",
        "name": "X2",  # imported
        "body_type": "suv",
        "powertrain": "ice",
        "trims": [
            ("sDrive25i M Sport", "339900.00"),
            ("xDrive25i M Sport", "363900.00"),
        ],
    },
    {
        "brand": "BMW",
        "name": "X3",  # new-generation long-wheelbase X3
        "body_type": "suv",
        "powertrain": "ice",
        "trims": [
            ("25xDrive Luxury", "389900.00"),
            ("25xDrive M Sport", "409900.00"),
            ("30xDrive M Sport Pro", "479900.00"),
        ],
    },
    {
        "brand": "BMW",
        "name": "iX3",  # Neue Klasse, Shenyang-built; estimated prices
        "body_type": "suv",
        "powertrain": "bev",
        "trims": [
            ("40L", "359900.00"),
            ("50L xDrive", "399900.00"),
            ("50L xDrive M Sport", "429900.00"),
        ],
    },
    {
        "brand": "BMW",
        "name": "X5",
        "body_type": "suv",
        "powertrain": "ice",
        "trims": [
            ("xDrive30Li Luxury", "649900.00"),
            ("xDrive30Li M Sport", "689900.00"),
            ("xDrive40Li M Sport", "789900.00"),
        ],
    },
    {
        "brand": "BMW",
        "name": "X7",  # imported
        "body_type": "suv",
        "powertrain": "ice",
        "trims": [
            ("xDrive40i Luxury", "929900.00"),
            ("xDrive40i M Sport", "1019900.00"),
            ("M60i xDrive", "1559900.00"),
        ],
    },
    {
        "brand": "BMW",
        "name": "Z4",  # imported
        "body_type": "convertible",
        "powertrain": "ice",
        "trims": [
            ("sDrive25i M Sport", "529900.00"),
            ("M40i", "659900.00"),
        ],
    },
    # --- MINI ------------------------------------------------------------------------------
    {
        "brand": "MINI",
        "name": "Cooper Electric",  # J01, built in Zhangjiagang
        "body_type": "hatchback",
        "powertrain": "bev",
        "trims": [
            ("Cooper E Classic", "189800.00"),
            ("Cooper SE Favoured", "229800.00"),
            ("John Cooper Works E", "269800.00"),
        ],
    },
    {
        "brand": "MINI",
        "name": "Aceman",  # built in Zhangjiagang
        "body_type": "suv",
        "powertrain": "bev",
        "trims": [
            ("Aceman E Classic", "189800.00"),
            ("Aceman SE Favoured", "219800.00"),
            ("John Cooper Works Aceman E", "259800.00"),
        ],
    },
    {
        "brand": "MINI",
        "name": "Cooper 3-Door",  # F66, imported from Oxford
        "body_type": "hatchback",
        "powertrain": "ice",
        "trims": [
            ("Cooper C Classic", "219800.00"),
            ("Cooper S Favoured", "269800.00"),
            ("John Cooper Works", "349800.00"),
        ],
    },
    {
        "brand": "MINI",
        "name": "Cooper 5-Door",  # F65, imported
        "body_type": "hatchback",
        "powertrain": "ice",
        "trims": [
            ("Cooper C Classic", "229800.00"),
            ("Cooper S Favoured", "279800.00"),
        ],
    },
    {
        "brand": "MINI",
        "name": "Cooper Convertible",  # F67, imported
        "body_type": "convertible",
        "powertrain": "ice",
        "trims": [
            ("Cooper C Convertible", "279800.00"),
            ("Cooper S Convertible", "319800.00"),
            ("John Cooper Works Convertible", "389800.00"),
        ],
    },
    {
        "brand": "MINI",
        "name": "Countryman",  # U25, imported from Leipzig
        "body_type": "suv",
        "powertrain": "ice",
        "trims": [
            ("Countryman C Classic", "249800.00"),
            ("Countryman S ALL4 Favoured", "299800.00"),
            ("John Cooper Works Countryman ALL4", "369800.00"),
        ],
    },
    {
        "brand": "MINI",
        "name": "Countryman E",  # U25, imported from Leipzig
        "body_type": "suv",
        "powertrain": "bev",
        "trims": [
            ("Countryman E Classic", "269800.00"),
            ("Countryman SE ALL4 Favoured", "309800.00"),
        ],
    },
    # --- Ford (Changan Ford, Jiangling Ford / JMC, and imports) ------------------------
    {
        "brand": "FORD",
        "name": "Mondeo",  # Changan Ford
        "body_type": "sedan",
        "powertrain": "ice",
        "trims": [
            ("EcoBoost 245 Trend", "169800.00"),
            ("EcoBoost 245 Titanium", "189800.00"),
            ("EcoBoost 245 ST-Line", "219800.00"),
        ],
    },
    {
        "brand": "FORD",
        "name": "Mustang Mach-E",  # Changan Ford
        "body_type": "suv",
        "powertrain": "bev",
        "trims": [
            ("Standard Range RWD", "229900.00"),
            ("Extended Range RWD", "269900.00"),
            ("GT eAWD", "339900.00"),
        ],
    },
    {
        "brand": "FORD",
        "name": "Explorer",  # Changan Ford
        "body_type": "suv",
        "powertrain": "ice",
        "trims": [
            ("EcoBoost 285 4WD Titanium", "269800.00"),
            ("EcoBoost 285 4WD ST-Line", "309800.00"),
            ("EcoBoost 285 4WD Platinum", "359800.00"),
        ],
    },
    {
        "brand": "FORD",
        "name": "Edge L",  # Changan Ford
        "body_type": "suv",
        "powertrain": "ice",
        "trims": [
            ("EcoBoost 254 FWD 7-seat", "229800.00"),
            ("EcoBoost 254 4WD 6-seat ST-Line", "259800.00"),
            ("EcoBoost 254 4WD 6-seat Platinum", "289800.00"),
        ],
    },
    {
        "brand": "FORD",
        "name": "Edge L Hybrid",  # Changan Ford
        "body_type": "suv",
        "powertrain": "hev",
        "trims": [
            ("1.5T Hybrid 7-seat Titanium", "259800.00"),
            ("1.5T Hybrid 6-seat Platinum", "289800.00"),
        ],
    },
    {
        "brand": "FORD",
        "name": "Equator",  # Jiangling Ford
        "body_type": "suv",
        "powertrain": "ice",
        "trims": [
            ("1.5T EcoBoost 7-seat Trend", "159800.00"),
            ("2.0T EcoBoost 6-seat Titanium", "199800.00"),
        ],
    },
    {
        "brand": "FORD",
        "name": "Territory",  # Jiangling Ford
        "body_type": "suv",
        "powertrain": "ice",
        "trims": [
            ("1.5T EcoBoost Trend", "119800.00"),
            ("1.5T EcoBoost Titanium", "139800.00"),
            ("1.5T EcoBoost ST-Line", "159800.00"),
        ],
    },
    {
        "brand": "FORD",
        "name": "Everest",  # Jiangling Ford
        "body_type": "suv",
        "powertrain": "ice",
        "trims": [
            ("2.3T EcoBoost 4WD Trend", "259800.00"),
            ("2.3T EcoBoost 4WD Platinum", "309800.00"),
        ],
    },
    {
        "brand": "FORD",
        "name": "Ranger",  # Jiangling Ford
        "body_type": "pickup",
        "powertrain": "ice",
        "trims": [
            ("2.3T EcoBoost 4x4 XLT", "189800.00"),
            ("2.3T EcoBoost 4x4 Wildtrak", "229800.00"),
            ("3.0T V6 Raptor", "369800.00"),
        ],
    },
    {
        "brand": "FORD",
        "name": "Bronco",  # Jiangling Ford
        "body_type": "suv",
        "powertrain": "ice",
        "trims": [
            ("2.3T EcoBoost Big Bend", "349800.00"),
            ("2.7T V6 Badlands", "449800.00"),
        ],
    },
    {
        "brand": "FORD",
        "name": "Bronco PHEV",  # Jiangling Ford, China-specific new-energy Bronco
        "body_type": "suv",
        "powertrain": "phev",
        "trims": [
            ("PHEV 4WD Outer Banks", "209800.00"),
            ("PHEV 4WD Wildtrak", "239800.00"),
        ],
    },
    {
        "brand": "FORD",
        "name": "Mustang",  # imported
        "body_type": "coupe",
        "powertrain": "ice",
        "trims": [
            ("2.3T EcoBoost Fastback", "299800.00"),
            ("5.0L V8 GT Fastback", "469800.00"),
            ("5.0L V8 Dark Horse", "599800.00"),
        ],
    },
    {
        "brand": "FORD",
        "name": "F-150 Raptor",  # imported
        "body_type": "pickup",
        "powertrain": "ice",
        "trims": [
            ("3.5T V6 Raptor", "636800.00"),
            ("3.5T V6 Raptor 37 Performance", "688800.00"),
        ],
    },
    {
        "brand": "FORD",
        "name": "Transit",  # Jiangling Ford
        "body_type": "van",
        "powertrain": "ice",
        "trims": [
            ("2.2T Diesel Panel Van", "159900.00"),
            ("2.2T Diesel 15-seat Bus", "189900.00"),
            ("2.0T Diesel Transit Pro Panel Van", "229900.00"),
        ],
    },
]

# ---------------------------------------------------------------------------------------
# Paint colours per brand
# ---------------------------------------------------------------------------------------

COLOURS: dict[str, list[str]] = {
    "BMW": [
        "Alpine White",
        "Black Sapphire",
        "Mineral White",
        "Skyscraper Grey",
        "Brooklyn Grey",
        "Portimao Blue",
        "Tanzanite Blue",
    ],
    "MINI": [
        "Chili Red",
        "British Racing Green",
        "Midnight Black",
        "Nanuq White",
        "Ocean Wave Green",
        "Sunny Side Yellow",
        "Blazing Blue",
    ],
    "FORD": [
        "Oxford White",
        "Agate Black",
        "Race Red",
        "Carbonized Gray",
        "Atlas Blue",
        "Iconic Silver",
        "Star White",
    ],
}

# ---------------------------------------------------------------------------------------
# Cities and districts (WGS84); dealers are placed in the districts
# ---------------------------------------------------------------------------------------

CITIES: list[CitySpec] = [
    {
        "name": "Shanghai",
        "name_zh": "上海",
        "lat": 31.2304,
        "lon": 121.4737,
        "districts": [
            ("Pudong", "浦东", 31.2215, 121.5440),
            ("Xuhui", "徐汇", 31.1885, 121.4365),
            ("Changning", "长宁", 31.2204, 121.4246),
            ("Minhang", "闵行", 31.1129, 121.3816),
            ("Jiading", "嘉定", 31.3747, 121.2654),
            ("Baoshan", "宝山", 31.4045, 121.4894),
            ("Songjiang", "松江", 31.0322, 121.2277),
            ("Qingpu", "青浦", 31.1505, 121.1242),
        ],
    },
    {
        "name": "Beijing",
        "name_zh": "北京",
        "lat": 39.9042,
        "lon": 116.4074,
        "districts": [
            ("Chaoyang", "朝阳", 39.9219, 116.4436),
            ("Haidian", "海淀", 39.9593, 116.2985),
            ("Fengtai", "丰台", 39.8585, 116.2870),
            ("Daxing", "大兴", 39.7267, 116.3414),
            ("Shunyi", "顺义", 40.1302, 116.6546),
            ("Tongzhou", "通州", 39.9025, 116.6568),
            ("Changping", "昌平", 40.2207, 116.2312),
        ],
    },
    {
        "name": "Tianjin",
        "name_zh": "天津",
        "lat": 39.1252,
        "lon": 117.1904,
        "districts": [
            ("Heping", "和平", 39.1172, 117.2150),
            ("Hexi", "河西", 39.1099, 117.2232),
            ("Nankai", "南开", 39.1380, 117.1502),
            ("Hedong", "河东", 39.1280, 117.2520),
            ("Xiqing", "西青", 39.1412, 117.0083),
            ("Dongli", "东丽", 39.0871, 117.3143),
            ("Binhai New Area", "滨海新区", 39.0032, 117.7104),
        ],
    },
    {
        "name": "Hangzhou",
        "name_zh": "杭州",
        "lat": 30.2741,
        "lon": 120.1551,
        "districts": [
            ("Xihu", "西湖", 30.2595, 120.1300),
            ("Shangcheng", "上城", 30.2425, 120.1690),
            ("Gongshu", "拱墅", 30.3190, 120.1420),
            ("Binjiang", "滨江", 30.2084, 120.2119),
            ("Xiaoshan", "萧山", 30.1850, 120.2645),
            ("Yuhang", "余杭", 30.2737, 120.0160),
            ("Linping", "临平", 30.4212, 120.2993),
        ],
    },
    {
        "name": "Nanjing",
        "name_zh": "南京",
        "lat": 32.0603,
        "lon": 118.7969,
        "districts": [
            ("Xuanwu", "玄武", 32.0487, 118.7977),
            ("Qinhuai", "秦淮", 32.0336, 118.7946),
            ("Gulou", "鼓楼", 32.0663, 118.7697),
            ("Jianye", "建邺", 32.0034, 118.7319),
            ("Jiangning", "江宁", 31.9528, 118.8399),
            ("Qixia", "栖霞", 32.0961, 118.9090),
            ("Pukou", "浦口", 32.0588, 118.6276),
        ],
    },
    {
        "name": "Suzhou",
        "name_zh": "苏州",
        "lat": 31.2990,
        "lon": 120.5853,
        "districts": [
            ("Gusu", "姑苏", 31.3116, 120.6175),
            ("Suzhou Industrial Park", "苏州工业园区", 31.3167, 120.7236),
            ("Wuzhong", "吴中", 31.2707, 120.6320),
            ("Xiangcheng", "相城", 31.3690, 120.6424),
            ("Huqiu", "虎丘", 31.2960, 120.5665),
            ("Wujiang", "吴江", 31.1384, 120.6452),
        ],
    },
    {
        "name": "Hefei",
        "name_zh": "合肥",
        "lat": 31.8206,
        "lon": 117.2272,
        "districts": [
            ("Shushan", "蜀山", 31.8510, 117.2600),
            ("Baohe", "包河", 31.7950, 117.3090),
            ("Luyang", "庐阳", 31.8690, 117.2650),
            ("Yaohai", "瑶海", 31.8580, 117.3090),
            ("Hefei High-tech Zone", "合肥高新区", 31.8280, 117.1400),
        ],
    },
    {
        "name": "Wuhan",
        "name_zh": "武汉",
        "lat": 30.5928,
        "lon": 114.3055,
        "districts": [
            ("Jiang'an", "江岸", 30.6000, 114.3090),
            ("Jianghan", "江汉", 30.6014, 114.2705),
            ("Wuchang", "武昌", 30.5540, 114.3160),
            ("Hanyang", "汉阳", 30.5495, 114.2183),
            ("Hongshan", "洪山", 30.5004, 114.3437),
            ("Optics Valley", "光谷", 30.5060, 114.4030),
        ],
    },
    {
        "name": "Guangzhou",
        "name_zh": "广州",
        "lat": 23.1291,
        "lon": 113.2644,
        "districts": [
            ("Tianhe", "天河", 23.1247, 113.3612),
            ("Yuexiu", "越秀", 23.1291, 113.2668),
            ("Haizhu", "海珠", 23.0838, 113.3172),
            ("Baiyun", "白云", 23.1649, 113.2730),
            ("Panyu", "番禺", 22.9380, 113.3841),
            ("Huangpu", "黄埔", 23.1063, 113.4594),
            ("Huadu", "花都", 23.4040, 113.2202),
        ],
    },
    {
        "name": "Shenzhen",
        "name_zh": "深圳",
        "lat": 22.5431,
        "lon": 114.0579,
        "districts": [
            ("Futian", "福田", 22.5410, 114.0550),
            ("Nanshan", "南山", 22.5329, 113.9305),
            ("Luohu", "罗湖", 22.5484, 114.1315),
            ("Bao'an", "宝安", 22.5550, 113.8830),
            ("Longgang", "龙岗", 22.7210, 114.2470),
            ("Longhua", "龙华", 22.6965, 114.0448),
        ],
    },
    {
        "name": "Chengdu",
        "name_zh": "成都",
        "lat": 30.6586,
        "lon": 104.0657,
        "districts": [
            ("Jinjiang", "锦江", 30.6572, 104.0834),
            ("Qingyang", "青羊", 30.6740, 104.0620),
            ("Wuhou", "武侯", 30.6420, 104.0430),
            ("Chenghua", "成华", 30.6599, 104.1018),
            ("Jinniu", "金牛", 30.6914, 104.0520),
            ("Chengdu High-tech Zone", "成都高新区", 30.5815, 104.0610),
            ("Shuangliu", "双流", 30.5744, 103.9230),
        ],
    },
    {
        "name": "Chongqing",
        "name_zh": "重庆",
        "lat": 29.5630,
        "lon": 106.5516,
        "districts": [
            ("Yuzhong", "渝中", 29.5530, 106.5690),
            ("Jiangbei", "江北", 29.6060, 106.5740),
            ("Yubei", "渝北", 29.7180, 106.6310),
            ("Nan'an", "南岸", 29.5230, 106.5610),
            ("Jiulongpo", "九龙坡", 29.5020, 106.5110),
            ("Shapingba", "沙坪坝", 29.5410, 106.4580),
        ],
    },
    {
        "name": "Xi'an",
        "name_zh": "西安",
        "lat": 34.3416,
        "lon": 108.9398,
        "districts": [
            ("Beilin", "碑林", 34.2567, 108.9467),
            ("Lianhu", "莲湖", 34.2650, 108.9330),
            ("Xincheng", "新城", 34.2667, 108.9600),
            ("Yanta", "雁塔", 34.2227, 108.9483),
            ("Weiyang", "未央", 34.2930, 108.9470),
            ("Xi'an High-tech Zone", "西安高新区", 34.2230, 108.8880),
            ("Chang'an", "长安", 34.1583, 108.9068),
        ],
    },
    {
        "name": "Shenyang",
        "name_zh": "沈阳",
        "lat": 41.8057,
        "lon": 123.4315,
        "districts": [
            ("Heping", "和平", 41.7890, 123.4200),
            ("Shenhe", "沈河", 41.7960, 123.4580),
            ("Huanggu", "皇姑", 41.8240, 123.4420),
            ("Dadong", "大东", 41.8060, 123.4700),
            ("Tiexi", "铁西", 41.8030, 123.3500),
            ("Hunnan", "浑南", 41.7150, 123.4490),
        ],
    },
]

# ---------------------------------------------------------------------------------------
# Dealer groups (invented names), used as "<Group> <Brand> <District>"
# ---------------------------------------------------------------------------------------

DEALER_GROUPS: list[str] = [
    "Jadegate Motors",
    "Lanting Auto Group",
    "Silver Crane Motors",
    "Eastbund Automotive",
    "Riverstone Motor Group",
    "Harbourline Motors",
    "Maplecourt Auto",
    "Azure Bay Motors",
]
# The same groups as Chinese readers see them (same order).
DEALER_GROUPS_ZH: list[str] = [
    "玉门汽车",
    "兰亭汽车集团",
    "银鹤汽车",
    "东外滩汽车",
    "河石汽车集团",
    "港湾汽车",
    "枫庭汽车",
    "蔚蓝湾汽车",
]
# Telephone area codes, for the demo dealers' (invented) numbers.
AREA_CODES: dict[str, str] = {
    "Shanghai": "21",
    "Beijing": "10",
    "Tianjin": "22",
    "Hangzhou": "571",
    "Nanjing": "25",
    "Suzhou": "512",
    "Hefei": "551",
    "Wuhan": "27",
    "Guangzhou": "20",
    "Shenzhen": "755",
    "Chengdu": "28",
    "Chongqing": "23",
    "Xi'an": "29",
    "Shenyang": "24",
}
BRANDS_ZH: dict[str, str] = {"BMW": "宝马", "MINI": "MINI", "FORD": "福特"}

# ---------------------------------------------------------------------------------------
# Vending / collection towers
# ---------------------------------------------------------------------------------------

TOWERS: list[TowerSpec] = [
    # Anting, Jiading: Shanghai International Automobile City.
    {"code": "TWR-SH1", "city": "Shanghai", "lat": 31.2930, "lon": 121.1620, "bays": 42},
    # Jiangning Development Zone, south of the city centre.
    {"code": "TWR-NJ1", "city": "Nanjing", "lat": 31.9450, "lon": 118.8560, "bays": 24},
]

# ---------------------------------------------------------------------------------------
# VIN prefixes
# ---------------------------------------------------------------------------------------

# World Manufacturer Identifier per brand, as used for the main China-market supply:
# BMW Brilliance (Shenyang), MINI (imported from UK/Netherlands), Changan Ford (Chongqing).
WMI: dict[str, str] = {
    "BMW": "LBV",
    "MINI": "WMW",
    "FORD": "LVS",
}

# Illustrative 5-character vehicle descriptor sections (VIN positions 4-8) for demo VINs.
# They use only legal VIN characters (no I, O, Q) but are not decoded real codes.
VDS_HINTS: dict[str, list[str]] = {
    "BMW": ["7W110", "8E310", "21EF0", "11GS0", "51DR0"],
    "MINI": ["11DH0", "21GD0", "31GA0", "91KC0"],
    "FORD": ["CAFA2", "ZAPA3", "EAFB1", "DAKC1"],
}
