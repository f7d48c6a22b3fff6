-- What the receiver answered on a delivery's last attempt, for the dashboard and
-- GET /v1/webhooks/{id}/deliveries: milliseconds from the request's start to the response headers
-- (or to the failure), and the start of the response body (at most 1 KiB read, control characters
-- blanked, at most 512 characters). NULL before any attempt, after a replay reset, and for the
-- excerpt when no body arrived.
ALTER TABLE webhook_deliveries ADD COLUMN last_latency_ms integer;
ALTER TABLE webhook_deliveries ADD COLUMN last_response_excerpt text;
