# Channels ships no types. Only what the project's typing needs is declared here (stubs/channels/
# db.pyi); every other module of channels is still read as untyped (`Any`).
