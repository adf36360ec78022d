"""Recorded traffic: `--record` writes a run's exchanges as HAR 1.2, `--replay` answers a run from
one, and `modelarts_contract.judge` judges a HAR captured anywhere.

har.py writes entries and recordings, reader.py reads any HAR, credentials.py labels the kind of
credentials a request carried, recorder.py and player.py sit at the transport's seam (the guard's
`tap` and `wire`), session.py ties them to a run.
"""
