"""Writes of the payments app: top-ups (`topups`), notifications (`notifications`), refunds
(`refunds`), bank statements (`statements`) and the reconciliation job (`reconcile`)."""
