namespace Platform.Data.Artifacts;

internal static class ArtifactHash
{
    public const int Length = 64;

    /// <summary>Only lower-case hex of the right length: a key can never name a path outside the store.</summary>
    public static bool IsValid(string hash) =>
        hash.Length == Length && hash.All(c => c is (>= '0' and <= '9') or (>= 'a' and <= 'f'));

    public static string Require(string hash) =>
        IsValid(hash) ? hash : throw new ArgumentException($"'{hash}' is not a SHA-256 artifact key.", nameof(hash));
}
