namespace Platform.Data.Migrations;

/// <summary>What a run found: files already in the database, files applied now, files still pending.</summary>
public sealed record MigrationReport(
    IReadOnlyList<string> AlreadyApplied,
    IReadOnlyList<string> AppliedNow,
    IReadOnlyList<string> Pending)
{
    public bool IsUpToDate => Pending.Count == 0;
}
