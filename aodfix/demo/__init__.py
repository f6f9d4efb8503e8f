"""``aodfix demo``: the whole product on the local emulators, with sample repositories."""
