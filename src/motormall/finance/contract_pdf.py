"""The finance contract as a PDF (reportlab), in English and Simplified Chinese side by side.

Chinese is drawn with reportlab's built-in CID font STSong-Light, so no font file ships with
us; the PDF names the font and a viewer supplies a CJK face of its own (none embedded).
`invariant=1` keeps the bytes the same for the same terms, so the SHA-256 the buyer accepts
identifies exactly what they read."""

from __future__ import annotations

import io

from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from motormall.finance.rules import Quote

FONT = "STSong-Light"
pdfmetrics.registerFont(UnicodeCIDFont(FONT))

TITLE = {
    "hire_purchase": ("Hire purchase agreement", "分期付款购车合同"),
    "lease": ("Lease agreement", "汽车融资租赁合同"),
}
TERMS = [
    (
        "Instalments are collected monthly on the due date through the payment mandate you sign.",
        "每期款项将于到期日通过您签署的代扣协议按月扣收。",
    ),
    (
        "A payment not received by its due date incurs the late fee in the carmaker's policy.",
        "逾期未付的款项将按厂商政策收取滞纳金。",
    ),
    (
        "You may repay early at any time: the payoff is the outstanding principal plus interest "
        "accrued to that day.",
        "您可随时提前还款：提前还款金额为剩余本金加截至当日的应计利息。",
    ),
    (
        "Every amount is rounded to the cent, half away from zero; the last instalment takes the "
        "rounding residue.",
        "所有金额按四舍五入精确到分；尾差计入最后一期。",
    ),
]


def render(*, order_id: str, vin: str, customer: str, quote: Quote) -> bytes:
    buf = io.BytesIO()
    pdf = canvas.Canvas(buf, pagesize=A4, invariant=1)
    pdf.setTitle(f"motormall {quote.product} {order_id}")
    width, height = A4
    y = height - 56

    def line(text: str, size: int = 10, gap: int = 15, x: float = 48) -> None:
        nonlocal y
        if y < 60:
            pdf.showPage()
            y = height - 56
        pdf.setFont(FONT, size)
        pdf.drawString(x, y, text)
        y -= gap

    en, zh = TITLE[quote.product]
    line(f"{en} / {zh}", 16, 24)
    line(f"Order 订单: {order_id}    VIN 车架号: {vin}")
    line(f"Customer 客户: {customer}", gap=22)
    rows = [
        ("Price 车价", quote.price),
        ("Down payment 首付款", quote.down_payment),
        ("Amount financed 融资金额", quote.amount_financed),
        ("Arrangement fee 手续费", quote.fee),
        ("Monthly payment 月供", quote.monthly_payment),
        ("Residual value 残值", quote.residual_value),
        ("Total payable 应付总额", quote.total_payable),
    ]
    for label, amount in rows:
        line(f"{label}: CNY {amount:,.2f}")
    line(f"Term 期限: {quote.term_months} months 个月")
    line(f"Interest rate 年利率: {quote.rate * 100:.2f}%    APR 年化利率: {quote.apr:.2f}%", gap=22)
    line("No. 期数   Due 到期日     Principal 本金     Interest 利息     Balance 余额", 9)
    for r in quote.schedule:
        line(
            f"{r.n:>3}      {r.due_date.isoformat()}   {r.principal:>14,.2f}  "
            f"{r.interest:>14,.2f}  {r.balance:>14,.2f}",
            9,
            12,
        )
    y -= 10
    for en_text, zh_text in TERMS:
        line(en_text, 9, 12)
        line(zh_text, 9, 16)
    pdf.save()
    return buf.getvalue()
