-- tests/schema_v1.sql — the store's schema version 1 (before periodic
-- flows), frozen: tests build old stores with it, and version 2 stores by
-- adding version 2's flow columns (see schema() in t_query_engine.sh).
PRAGMA journal_mode=WAL;
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE hosts(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE processes(
  id INTEGER PRIMARY KEY, host INTEGER NOT NULL REFERENCES hosts,
  pid INTEGER NOT NULL, start_ticks INTEGER NOT NULL, exec_seq INTEGER NOT NULL,
  ppid INTEGER, parent INTEGER REFERENCES processes, uid INTEGER,
  exe BLOB, argv BLOB,
  start_ns INTEGER, end_ns INTEGER, exit_status INTEGER, lost INTEGER DEFAULT 0,
  UNIQUE(host, pid, start_ticks, exec_seq));
CREATE TABLE objects(
  id INTEGER PRIMARY KEY, host INTEGER NOT NULL REFERENCES hosts,
  kind INTEGER NOT NULL, dev INTEGER, ino INTEGER, version INTEGER NOT NULL DEFAULT 1,
  name BLOB NOT NULL,
  created_ns INTEGER, mtime_ns INTEGER, size INTEGER);
CREATE INDEX objects_ident ON objects(host, kind, dev, ino, version);
CREATE INDEX objects_name ON objects(name);
CREATE TABLE flows(
  id INTEGER PRIMARY KEY, proc INTEGER NOT NULL REFERENCES processes,
  time_ns INTEGER NOT NULL, src_time_ns INTEGER NOT NULL, sysno INTEGER,
  sink_obj INTEGER NOT NULL REFERENCES objects, sink_start INTEGER NOT NULL, sink_end INTEGER NOT NULL,
  src_obj INTEGER NOT NULL REFERENCES objects, src_start INTEGER NOT NULL, src_end INTEGER NOT NULL,
  mode INTEGER NOT NULL);
CREATE INDEX flows_sink ON flows(sink_obj, sink_start);
CREATE INDEX flows_src ON flows(src_obj, src_start);
INSERT INTO meta VALUES('schema_version', '1');
