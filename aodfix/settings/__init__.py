"""aodfix's settings: ``environment`` reads the process environment (nothing else does);
``services`` turns it into the one ``Settings`` object a command passes down."""
