-- Placeholder on branch h-inst only: this number belongs to another
-- branch's migration, and migrations must run 1, 2, 3… with none missing.
-- Drop this file when merging (the other branch's file takes its place).
SELECT 1;
