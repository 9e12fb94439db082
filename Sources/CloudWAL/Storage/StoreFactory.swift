/// Builds the backend a URL names. The one place that knows every backend.
public enum StoreFactory {
    public static func makeStore(for url: StorageURL, options: CloudOptions) throws -> any ObjectStore {
        switch url.location {
        case .fileSystem(let root):
            return FileSystemStore(root: root)
        case .s3:
            throw StorageError(.invalidRequest, "The aws-s3 backend is not available in this build yet: \(url)")
        case .azure:
            throw StorageError(
                .invalidRequest, "The azure-blob-storage backend is not available in this build yet: \(url)")
        case .gcs:
            throw StorageError(
                .invalidRequest, "The google-cloud-storage backend is not available in this build yet: \(url)")
        }
    }
}
