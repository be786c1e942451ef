@testable import JetstreamTailCore

/// Files the tests read: the shared sample data beside the repository, and the repository's own.
enum TestData {
    /// The repository root: this file is Tests/JetstreamTailCoreTests/TestData.swift.
    static let repositoryRoot = String(#filePath).split(separator: "/", omittingEmptySubsequences: false)
        .dropLast(3).joined(separator: "/")

    /// `../shared/data/jetstream` beside the repository (sample events, the zstd dictionary).
    static let sharedDirectory = repositoryRoot + "/../shared/data/jetstream"

    /// A whole file, through the tool's own bounded reader.
    static func read(_ path: String) throws -> [UInt8] {
        try FileIO.read(path, limit: 64 << 20)
    }

    /// A file of the shared data directory.
    static func shared(_ name: String) throws -> [UInt8] {
        try read(sharedDirectory + "/" + name)
    }

    /// The non-empty lines of a shared JSON-lines file.
    static func sharedLines(_ name: String) throws -> [[UInt8]] {
        try shared(name).split(separator: UInt8(ascii: "\n")).map(Array.init)
    }
}
