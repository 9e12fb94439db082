/// The JSON output of `backup-list` and `backup-show`, as barman-cloud's `json.dumps` writes it.
public enum CatalogJSON {
    /// `{"backups_list": [...]}`, every backup (any status), oldest first.
    public static func list(_ catalog: CatalogSnapshot) -> String {
        PythonJSON.object([PythonJSON.Member("backups_list", .array(catalog.backups.map(\.barmanJSON)))]).text
    }

    /// `{"<server_name>": {...}}`: keyed like `barman show-backup`, by the `server_name` field,
    /// which barman-cloud sets to `cloud`.
    public static func show(_ info: BackupInfo) -> String {
        PythonJSON.object([PythonJSON.Member(info.serverName ?? "null", info.barmanJSON)]).text
    }
}
