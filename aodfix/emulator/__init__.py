"""Local stand-ins for Agent on Demand and GitHub that speak the real protocols on 127.0.0.1.

They are the engine of ``aodfix demo`` and the test bed of every test: aodfix reaches them
through the same configuration (``AOD_API_URL``, ``GITHUB_API_URL``, ``GITHUB_SERVER_URL``)
it uses for the real services.
"""
