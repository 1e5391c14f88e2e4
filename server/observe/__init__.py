"""What an operator watches: structured logs with a request id (`logs`) and Prometheus
metrics (`metrics`). Imports nothing of timbra, so every layer may report through it."""
