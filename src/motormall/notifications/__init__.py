"""Messages to a customer: an outbox written with the fact, an inbox, e-mail and SMS."""
