DROP TABLE settings;
DROP TABLE salts;
