"""Payment gateways: the adapters behind `base.Gateway`, registered in a plain dict.

`gateway("stripe")` answers the configured adapter. Settings hold each provider's endpoint
and keys (README "Payments"); without keys, `make run` points them at the loopback fakes in
`payments.fakes`.
"""
