"""Live state: the SCIM client (httpx), paging, retries, rate limit, snapshots, profiles."""
