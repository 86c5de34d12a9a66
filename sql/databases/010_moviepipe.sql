-- The one database that holds every moviepipe schema. Its name comes from the
-- stack configuration (cloud) or the local settings (fakesnow).
CREATE DATABASE IF NOT EXISTS {{ database }}
