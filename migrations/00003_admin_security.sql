-- +goose Up
-- The admin's security: a second factor per account (TOTP, sealed with a
-- key derived from SECRET_KEY, and single-use recovery codes kept hashed),
-- when the password and the email last changed (set by a trigger, so every
-- path that changes them counts: the account page, the Users admin,
-- createsuperuser), a site setting a superuser controls (two-factor for
-- everyone), and the security log: sign-ins, failures, sign-outs, ended
-- sessions, second-factor changes and refused requests.

ALTER TABLE users
    ADD COLUMN totp_secret         bytea,
    ADD COLUMN totp_enabled_at     timestamptz,
    ADD COLUMN password_changed_at timestamptz,
    ADD COLUMN email_changed_at    timestamptz;

-- +goose StatementBegin
CREATE FUNCTION users_credentials_changed() RETURNS trigger AS $$
BEGIN
    IF NEW.password_hash IS DISTINCT FROM OLD.password_hash THEN
        NEW.password_changed_at := now();
    END IF;
    IF lower(NEW.email) IS DISTINCT FROM lower(OLD.email) THEN
        NEW.email_changed_at := now();
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
-- +goose StatementEnd

CREATE TRIGGER users_credentials_changed BEFORE UPDATE ON users
    FOR EACH ROW EXECUTE FUNCTION users_credentials_changed();

CREATE TABLE recovery_codes (
    user_id    bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- HMAC-SHA256 of the code under a key derived from SECRET_KEY, bound to
    -- the account: the codes themselves are shown once and never stored.
    code_hash  text        NOT NULL,
    used_at    timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, code_hash)
);

CREATE TABLE admin_settings (
    key        text        PRIMARY KEY,
    value      text        NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE security_log (
    id         bigserial   PRIMARY KEY,
    at         timestamptz NOT NULL DEFAULT now(),
    kind       text        NOT NULL,
    user_id    bigint      REFERENCES users (id) ON DELETE SET NULL,
    -- the email typed at a failed sign-in (capped), else the account's
    email      text        NOT NULL DEFAULT '',
    ip         text        NOT NULL DEFAULT '',
    user_agent text        NOT NULL DEFAULT '',
    detail     text        NOT NULL DEFAULT ''
);
CREATE INDEX security_log_at_idx ON security_log (at DESC);
CREATE INDEX security_log_user_idx ON security_log (user_id, at DESC);

-- +goose Down
DROP TABLE security_log;
DROP TABLE admin_settings;
DROP TABLE recovery_codes;
DROP TRIGGER users_credentials_changed ON users;
DROP FUNCTION users_credentials_changed();
ALTER TABLE users
    DROP COLUMN totp_secret,
    DROP COLUMN totp_enabled_at,
    DROP COLUMN password_changed_at,
    DROP COLUMN email_changed_at;
