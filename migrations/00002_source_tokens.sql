-- +goose Up
-- A token an organizer entered for a source in the admin: encrypted with a
-- key derived from SECRET_KEY (AES-GCM, bound to the row and the host),
-- write-only (never shown again, never in the audit log), and sent only to
-- token_host, the host the source was configured for when it was entered.
ALTER TABLE sources
    ADD COLUMN token_ciphertext bytea,
    ADD COLUMN token_host       text NOT NULL DEFAULT '',
    ADD COLUMN token_set_at     timestamptz;

-- +goose Down
ALTER TABLE sources
    DROP COLUMN token_ciphertext,
    DROP COLUMN token_host,
    DROP COLUMN token_set_at;
