"""Fleet's immutability policy pack: rules in `policy.rules`, plain resource records in `policy.records`."""
