"""Request plumbing every face of Heardback shares: who the client is (behind trusted
proxies), limits counted across processes, the request guard (methods, NUL bytes, body
sizes) and the redaction of secrets in URLs from every log line.

It sits low: it knows Django and nothing of hiring, the portal or the seeker side, so each
of them can use it.
"""
