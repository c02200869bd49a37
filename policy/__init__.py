"""Fleet's immutability policy pack: the list of rules in `policy/__main__.py`, their checks by what they guard
(`hosts`, `network`, `releases`, `traffic`), what they share in `base`, plain resource records in `records`."""
