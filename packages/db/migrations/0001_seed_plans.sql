INSERT INTO "plans" ("id", "name", "max_instances") VALUES
  ('free', 'Free', 1),
  ('pro', 'Pro', 5),
  ('team', 'Team', 25)
ON CONFLICT ("id") DO NOTHING;
