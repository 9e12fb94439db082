/// Expected outputs produced by barman 3.19.1's own code (BackupInfo.to_json, json.dumps,
/// ConsoleOutputWriter.render_show_backup, cloud_backup_list's COLUMNS) from the two backup.info
/// files below, so the catalog output tests compare against barman, not against our reading of it.
enum CatalogOracle {
    static let sampleInfo = ##"""
backup_label='START WAL LOCATION: 0/2000028 (file 000000010000000000000002)\nCHECKPOINT LOCATION: 0/2000060\nBACKUP METHOD: streamed\nBACKUP FROM: primary\nSTART TIME: 2025-10-24 02:26:08 UTC\nLABEL: Barman backup cloud 20251024T022608\nSTART TIMELINE: 1\n'
backup_name=nightly
begin_offset=40
begin_time=2025-10-24 02:26:08.217166+00:00
begin_wal=000000010000000000000002
begin_xlog=0/2000028
children_backup_ids=None
cluster_size=23456789
compression=None
config_file=/var/lib/postgresql/15/main/postgresql.conf
copy_stats={'total_time': 3.123456, 'number_of_workers': 2, 'analysis_time': 0, 'copy_time': 3725.5}
data_checksums=on
deduplicated_size=1536
encryption=None
end_offset=312
end_time=2025-10-24 02:26:12+02:00
end_wal=000000010000000000000003
end_xlog=0/3000138
error=None
hba_file=/var/lib/postgresql/15/main/pg_hba.conf
ident_file=/var/lib/postgresql/15/main/pg_ident.conf
included_files=['/etc/pg/extra.conf']
mode=concurrent
parent_backup_id=None
pgdata=/var/lib/postgresql/15/main
server_name=cloud
size=None
status=DONE
summarize_wal=None
systemid=7321234567890123456
tablespaces=[('tbs1', 16385, '/srv/tbs1'), ('tbs \xe9', 16386, "/srv/it's")]
timeline=1
version=150018
xlog_segment_size=16777216
"""##

    static let failedInfo = ##"""
backup_label=None
begin_offset=None
begin_time=2025-10-25 01:00:00+00:00
begin_wal=None
begin_xlog=None
children_backup_ids=None
cluster_size=None
compression=None
config_file=None
copy_stats=None
data_checksums=None
deduplicated_size=None
encryption=None
end_offset=None
end_time=None
end_wal=None
end_xlog=None
error=failure uploading data (connection reset)
hba_file=None
ident_file=None
included_files=None
mode=None
parent_backup_id=None
pgdata=None
server_name=cloud
size=None
status=FAILED
summarize_wal=None
systemid=None
tablespaces=None
timeline=None
version=None
xlog_segment_size=16777216
"""##

    static let listConsole = ##"""
Backup ID           End Time                 Begin Wal                     Archival Status  Name                
20251024T022608     2025-10-24 02:26:12      000000010000000000000002      KEEP:STANDALONE  nightly             
20251025T010000                                                            FAILED                               
"""##

    static let listJSON = ##"""
{"backups_list": [{"backup_label": "'START WAL LOCATION: 0/2000028 (file 000000010000000000000002)\\nCHECKPOINT LOCATION: 0/2000060\\nBACKUP METHOD: streamed\\nBACKUP FROM: primary\\nSTART TIME: 2025-10-24 02:26:08 UTC\\nLABEL: Barman backup cloud 20251024T022608\\nSTART TIMELINE: 1\\n'", "backup_name": "nightly", "begin_offset": 40, "begin_time": "Fri Oct 24 02:26:08 2025", "begin_wal": "000000010000000000000002", "begin_xlog": "0/2000028", "children_backup_ids": null, "cluster_size": 23456789, "compression": null, "config_file": "/var/lib/postgresql/15/main/postgresql.conf", "copy_stats": {"total_time": 3.123456, "number_of_workers": 2, "analysis_time": 0, "copy_time": 3725.5}, "data_checksums": "on", "deduplicated_size": 1536, "encryption": null, "end_offset": 312, "end_time": "Fri Oct 24 02:26:12 2025", "end_wal": "000000010000000000000003", "end_xlog": "0/3000138", "error": null, "hba_file": "/var/lib/postgresql/15/main/pg_hba.conf", "ident_file": "/var/lib/postgresql/15/main/pg_ident.conf", "included_files": ["/etc/pg/extra.conf"], "mode": "concurrent", "parent_backup_id": null, "pgdata": "/var/lib/postgresql/15/main", "server_name": "cloud", "size": null, "status": "DONE", "summarize_wal": null, "systemid": "7321234567890123456", "tablespaces": [["tbs1", 16385, "/srv/tbs1"], ["tbs \u00e9", 16386, "/srv/it's"]], "timeline": 1, "version": 150018, "xlog_segment_size": 16777216, "backup_id": "20251024T022608", "begin_time_iso": "2025-10-24T02:26:08.217166+00:00", "end_time_iso": "2025-10-24T02:26:12+02:00"}, {"backup_label": null, "begin_offset": null, "begin_time": "Sat Oct 25 01:00:00 2025", "begin_wal": null, "begin_xlog": null, "children_backup_ids": null, "cluster_size": null, "compression": null, "config_file": null, "copy_stats": null, "data_checksums": null, "deduplicated_size": null, "encryption": null, "end_offset": null, "end_time": null, "end_wal": null, "end_xlog": null, "error": "failure uploading data (connection reset)", "hba_file": null, "ident_file": null, "included_files": null, "mode": null, "parent_backup_id": null, "pgdata": null, "server_name": "cloud", "size": null, "status": "FAILED", "summarize_wal": null, "systemid": null, "tablespaces": null, "timeline": null, "version": null, "xlog_segment_size": 16777216, "backup_id": "20251025T010000", "begin_time_iso": "2025-10-25T01:00:00+00:00"}]}
"""##

    static let sampleShowJSON = ##"""
{"cloud": {"backup_label": "'START WAL LOCATION: 0/2000028 (file 000000010000000000000002)\\nCHECKPOINT LOCATION: 0/2000060\\nBACKUP METHOD: streamed\\nBACKUP FROM: primary\\nSTART TIME: 2025-10-24 02:26:08 UTC\\nLABEL: Barman backup cloud 20251024T022608\\nSTART TIMELINE: 1\\n'", "backup_name": "nightly", "begin_offset": 40, "begin_time": "Fri Oct 24 02:26:08 2025", "begin_wal": "000000010000000000000002", "begin_xlog": "0/2000028", "children_backup_ids": null, "cluster_size": 23456789, "compression": null, "config_file": "/var/lib/postgresql/15/main/postgresql.conf", "copy_stats": {"total_time": 3.123456, "number_of_workers": 2, "analysis_time": 0, "copy_time": 3725.5}, "data_checksums": "on", "deduplicated_size": 1536, "encryption": null, "end_offset": 312, "end_time": "Fri Oct 24 02:26:12 2025", "end_wal": "000000010000000000000003", "end_xlog": "0/3000138", "error": null, "hba_file": "/var/lib/postgresql/15/main/pg_hba.conf", "ident_file": "/var/lib/postgresql/15/main/pg_ident.conf", "included_files": ["/etc/pg/extra.conf"], "mode": "concurrent", "parent_backup_id": null, "pgdata": "/var/lib/postgresql/15/main", "server_name": "cloud", "size": null, "status": "DONE", "summarize_wal": null, "systemid": "7321234567890123456", "tablespaces": [["tbs1", 16385, "/srv/tbs1"], ["tbs \u00e9", 16386, "/srv/it's"]], "timeline": 1, "version": 150018, "xlog_segment_size": 16777216, "backup_id": "20251024T022608", "begin_time_iso": "2025-10-24T02:26:08.217166+00:00", "end_time_iso": "2025-10-24T02:26:12+02:00"}}
"""##

    static let sampleShowConsole = ##"""
Backup 20251024T022608:
  Backup Name            : nightly
  Server Name            : cloud
  System Id              : 7321234567890123456
  Status                 : DONE
  PostgreSQL Version     : 150018
  PGDATA directory       : /var/lib/postgresql/15/main
  Estimated Cluster Size : 22.4 MiB

  Server information:
    Checksums            : on

  Tablespaces:
    tbs1                 : /srv/tbs1 (oid: 16385)
    tbs é                : /srv/it's (oid: 16386)

  Base backup information:
    Backup Method        : concurrent
    Backup Size          : 1.5 KiB
    Timeline             : 1
    Begin WAL            : 000000010000000000000002
    End WAL              : 000000010000000000000003
    Begin time           : 2025-10-24 02:26:08.217166+00:00
    End time             : 2025-10-24 02:26:12+02:00
    Copy time            : 1 hour, 2 minutes, 5 seconds
    Begin Offset         : 40
    End Offset           : 312
    Begin LSN            : 0/2000028
    End LSN              : 0/3000138

"""##

    static let failedShowJSON = ##"""
{"cloud": {"backup_label": null, "begin_offset": null, "begin_time": "Sat Oct 25 01:00:00 2025", "begin_wal": null, "begin_xlog": null, "children_backup_ids": null, "cluster_size": null, "compression": null, "config_file": null, "copy_stats": null, "data_checksums": null, "deduplicated_size": null, "encryption": null, "end_offset": null, "end_time": null, "end_wal": null, "end_xlog": null, "error": "failure uploading data (connection reset)", "hba_file": null, "ident_file": null, "included_files": null, "mode": null, "parent_backup_id": null, "pgdata": null, "server_name": "cloud", "size": null, "status": "FAILED", "summarize_wal": null, "systemid": null, "tablespaces": null, "timeline": null, "version": null, "xlog_segment_size": 16777216, "backup_id": "20251025T010000", "begin_time_iso": "2025-10-25T01:00:00+00:00"}}
"""##

    static let failedShowConsole = ##"""
Backup 20251025T010000:
  Server Name            : cloud
  Status                 : FAILED

  Error                  : failure uploading data (connection reset)
"""##

}
