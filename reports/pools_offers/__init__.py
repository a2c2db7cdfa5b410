"""Pools and offers: how long pooled leads wait to be claimed, which are never claimed,
how old the waiting ones are now; and how live offers end (accepted, declined, expired,
withdrawn) and how fast they are accepted, by method and by rep."""
