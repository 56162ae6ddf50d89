"""A lead as ADF XML (Auto-Lead Data Format 1.0), the auto industry's lead exchange format.

`adf-1.0.dtd` beside this file is the format's published structure for the elements we
write; the tests validate every export against it.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

DTD = Path(__file__).with_name("adf-1.0.dtd")


@dataclass
class AdfLead:
    lead_id: str
    request_date: str  # ISO 8601 with offset
    interest: str  # buy | lease | test-drive
    year: int | None
    make: str
    model: str
    vin: str | None
    trim: str | None
    price: str | None
    currency: str
    customer_name: str
    email: str
    phone: str | None
    city: str | None
    comments: str
    dealer_code: str
    dealer_name: str
    timeframe_due: str | None


def _text(parent: ET.Element, tag: str, text: str | None, **attrs) -> ET.Element:
    el = ET.SubElement(parent, tag, {k: v for k, v in attrs.items() if v is not None})
    if text is not None:
        el.text = str(text)
    return el


def render(lead: AdfLead) -> bytes:
    adf = ET.Element("adf")
    prospect = ET.SubElement(adf, "prospect", status="new")
    _text(prospect, "id", lead.lead_id, sequence="1", source="motormall")
    _text(prospect, "requestdate", lead.request_date)
    vehicle = ET.SubElement(prospect, "vehicle", interest=lead.interest, status="new")
    _text(vehicle, "year", str(lead.year) if lead.year else "")
    _text(vehicle, "make", lead.make)
    _text(vehicle, "model", lead.model)
    if lead.vin:
        _text(vehicle, "vin", lead.vin)
    if lead.trim:
        _text(vehicle, "trim", lead.trim)
    if lead.price:
        _text(vehicle, "price", lead.price, type="asking", currency=lead.currency)
    customer = ET.SubElement(prospect, "customer")
    contact = ET.SubElement(customer, "contact")
    _text(contact, "name", lead.customer_name or lead.email, part="full")
    _text(contact, "email", lead.email)
    if lead.phone:
        _text(contact, "phone", lead.phone, type="cellphone")
    if lead.city:
        address = ET.SubElement(contact, "address")
        _text(address, "street", "", line="1")
        _text(address, "city", lead.city)
        _text(address, "country", "CN")
    if lead.timeframe_due:
        timeframe = ET.SubElement(customer, "timeframe")
        _text(timeframe, "description", "first contact due")
        _text(timeframe, "latestdate", lead.timeframe_due)
    if lead.comments:
        _text(customer, "comments", lead.comments)
    vendor = ET.SubElement(prospect, "vendor")
    _text(vendor, "id", lead.dealer_code, source="motormall")
    _text(vendor, "vendorname", lead.dealer_name)
    vendor_contact = ET.SubElement(vendor, "contact")
    _text(vendor_contact, "name", lead.dealer_name, part="full", type="business")
    _text(vendor_contact, "email", "")
    provider = ET.SubElement(prospect, "provider")
    _text(provider, "name", "motormall", part="full", type="business")
    _text(provider, "service", "online store")
    body = ET.tostring(adf, encoding="unicode")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<?adf version="1.0"?>\n' + body).encode()
