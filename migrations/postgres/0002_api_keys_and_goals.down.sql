DROP TABLE goals;
DROP TABLE api_keys;
