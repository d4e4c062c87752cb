"""Writes of the billing app: issuing (invoices), rendering (documents), mailing, exports."""
