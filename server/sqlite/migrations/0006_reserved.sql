-- Placeholder, on branch h-auth only: migration 6 belongs to another
-- branch (the SQLite visitor salts) and LoadMigrations wants the numbers
-- without a gap. At merge, keep that branch's 0006 and delete this file.
SELECT 1;
