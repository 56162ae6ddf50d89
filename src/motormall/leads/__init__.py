"""Leads: every online inquiry routed to one dealer, who must answer in time."""
