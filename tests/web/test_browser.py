"""Browser journey in Debian's Chromium: search → vehicle page → switch language."""

from pathlib import Path

import pytest

from tests import factories as f

CHROMIUM = "/usr/lib/chromium/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium package")
    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-background-networking",
                "--disable-component-update",
            ],
        )
        yield b
        b.close()


@pytest.fixture
def page(browser, request):
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="en-US")
    pg = context.new_page()
    yield pg
    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        pg.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()


def test_search_then_vehicle_then_chinese(db, live_server, page):
    net = f.network(db)
    f.stock(db, net["dealers"]["SH-1"], net["trims"][0], range(1, 4), price="268000.00")
    f.stock(db, net["dealers"]["NJ-1"], net["trims"][1], range(10, 12), price="179800.00")

    page.goto(f"{live_server}/search")
    page.select_option("select[name=brand]", "BMW")
    page.select_option("select[name=city]", "Shanghai")
    page.select_option("select[name=sort]", "distance")
    page.click("form#filters button[type=submit]")
    page.wait_for_url("**/search?**")
    cards = page.locator("article.card")
    assert cards.count() == 3
    assert "km" in cards.first.inner_text()

    cards.first.locator("a").first.click()
    page.wait_for_url("**/vehicles/**")
    assert page.locator("h1").inner_text() == "BMW iX3"
    assert page.locator("#price").inner_text() == "CN¥268,000"
    assert page.locator("img.hero-photo").evaluate("img => img.naturalWidth") == 800

    page.click("a[data-lang=zh_Hans]")
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "zh-Hans"
    assert page.locator("#price").inner_text() == "¥268,000"
    assert "纯电" in page.content()


def test_reserve_and_pay_the_deposit_in_the_browser(db, live_server, page):
    net = f.network(db)
    vin = f.stock(db, net["dealers"]["SH-1"], net["trims"][0], [1], price="268000.00")[0]

    page.goto(f"{live_server}/vehicles/{vin}")
    page.click("#reserve")
    page.wait_for_url("**/login?**")
    page.fill("input[name=email]", "buyer@test.dev")
    page.fill("input[name=password]", f.PASSWORD)
    page.click("form.narrow button[type=submit]")
    page.wait_for_url(f"**/checkout/{vin}")
    page.click("#reserve")
    page.wait_for_url("**/sandbox/pay/**")
    assert "5,000" in page.locator("h1").inner_text()
    page.click("#pay")
    page.wait_for_url("**/orders/**")
    assert page.locator(".badge-status").inner_text() == "Deposit paid"
    assert page.locator("#paid").inner_text() == "CN¥5,000"


def test_carmaker_loads_references_then_a_buyer_finds_the_car_by_photo(db, live_server, page):
    from tests.vision.photos import car

    net = f.network(db)
    f.stock(db, net["dealers"]["SH-1"], net["trims"][0], range(1, 3))
    page.goto(f"{live_server}/login?next=/oem/references")
    page.fill("input[name=email]", "admin@test.dev")
    page.fill("input[name=password]", f.PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_url("**/oem/references")
    ix3, mondeo = net["models"]
    for model_id, folder in ((ix3, "Jeep_Wrangler_SUV_2012"), (mondeo, "Ford_GT_Coupe_2006")):
        page.select_option("select[name=model_id]", str(model_id))
        page.set_input_files("input[name=photos]", [str(car(folder, n)) for n in range(1, 9)])
        page.click("form.filters button[type=submit]")
        page.wait_for_url(f"**/oem/references?done={model_id}")
    row = page.locator("tr.highlight td")
    assert row.nth(2).inner_text() == "8" and row.nth(3).inner_text() == "Recognised"

    page.goto(f"{live_server}/find")
    assert not page.locator("img#preview").is_visible()
    page.set_input_files("input[name=image]", str(car("Jeep_Wrangler_SUV_2012", 12)))
    page.wait_for_selector("img#preview", state="visible")  # the buyer sees the chosen photo
    page.select_option("select[name=city]", "Shanghai")
    with page.expect_navigation():  # the page shrinks the photo first, then sends the form
        page.click("form#filters button[type=submit]:has-text('Find it')")
    assert not page.locator("img#preview").is_visible()  # no broken image after the answer
    first = page.locator("ol.suggestions li").first
    assert "BMW iX3" in first.inner_text()
    assert page.locator("article.card").count() == 2
    first.locator("a").click()  # the buyer picks the suggestion: that model's stock nearby
    page.wait_for_url(f"**/search?model_id={ix3}**")
    assert page.locator("article.card").count() == 2


@pytest.mark.parametrize("width,height", [(390, 844), (1280, 800)])
def test_a_model_without_references_is_unknown_on_phone_and_desktop(
    db, live_server, browser, client, width, height
):
    from tests.vision.photos import car, car_bytes

    net = f.network(db)
    f.stock(db, net["dealers"]["SH-1"], net["trims"][0], range(1, 3))  # iX3: SUVs
    ix3, _ = net["models"]
    admin = f.token(client, net["users"]["admin"])
    files = [
        ("photos", (f"{n}.jpg", car_bytes("BMW_X3_SUV_2012", n), "image/jpeg")) for n in (1, 2)
    ]
    r = client.post(f"/api/v1/models/{ix3}/reference-photos", files=files, headers=admin)
    assert r.status_code == 201
    context = browser.new_context(viewport={"width": width, "height": height}, locale="en-US")
    page = context.new_page()
    try:
        page.goto(f"{live_server}/login?next=/oem/references")
        page.fill("input[name=email]", "admin@test.dev")
        page.fill("input[name=password]", f.PASSWORD)
        page.click("form button[type=submit]")
        page.wait_for_url("**/oem/references")
        assert "Too few to be recognised" in page.locator("td.recognition").first.inner_text()
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"references-{width}.png"), full_page=True)
        page.goto(f"{live_server}/find")
        page.set_input_files("input[name=image]", str(car("Ford_Edge_SUV_2012", 12)))
        page.click("form#filters button[type=submit]:has-text('Find it')")
        page.wait_for_load_state()
        assert "We don't know this model yet" in page.locator("#unknown").inner_text()
        assert page.locator("ol.suggestions").count() == 0
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.screenshot(path=str(ARTIFACTS / f"find-unknown-{width}.png"), full_page=True)
    finally:
        context.close()


@pytest.mark.parametrize("width,height", [(390, 844), (1280, 800)])
def test_a_new_customer_reads_the_welcome_in_the_inbox(db, live_server, browser, width, height):
    context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
    page = context.new_page()
    try:
        page.goto(f"{live_server}/register")
        page.fill("input[name=email]", "chen.jie@example.com")
        page.fill("input[name=password]", "long-enough-1")
        page.fill("input[name=name]", "Chen Jie")
        page.fill("input[name=phone]", "138 0013 8000")
        page.fill("input[name=city]", "Shanghai")
        page.click("form button[type=submit]")
        page.wait_for_url(f"{live_server}/")
        count = page.locator("#nav-inbox .count")
        assert count.inner_text() == "1" and count.get_attribute("aria-label") == "1 条未读消息"
        page.click("#nav-inbox")
        page.wait_for_url("**/notifications")
        message = page.locator(".inbox .message").first
        assert "欢迎来到 motormall" in message.inner_text()
        assert "Chen Jie，您好" in message.inner_text()
        # nothing wider than the screen, on a phone too
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        assert page.locator("#nav-inbox .count").count() == 0  # read on opening
    finally:
        context.close()


def test_the_find_page_sends_the_photo_downscaled(db, live_server, page):
    import io

    from PIL import Image

    camera = io.BytesIO()
    Image.new("RGB", (4000, 3000), (120, 40, 40)).save(camera, "JPEG", quality=95)
    sent = {}

    def capture(route):
        sent["body"] = route.request.post_data_buffer
        route.fulfill(status=200, content_type="text/html", body="<p>ok</p>")

    page.goto(f"{live_server}/find")
    page.route("**/find", capture)
    page.set_input_files(
        "input[name=image]",
        {"name": "camera.jpg", "mimeType": "image/jpeg", "buffer": camera.getvalue()},
    )
    page.click("form#filters button[type=submit]:has-text('Find it')")
    page.wait_for_selector("text=ok")
    body = sent["body"]
    photo = Image.open(io.BytesIO(body[body.index(b"\xff\xd8") :]))
    assert photo.size == (1024, 768)
    assert len(body) < len(camera.getvalue())
