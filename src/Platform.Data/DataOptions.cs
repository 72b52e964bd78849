using System.ComponentModel.DataAnnotations;

namespace Platform.Data;

public enum MigrationMode
{
    /// <summary>Apply pending migrations at start (web host, `platform migrate`).</summary>
    Apply,

    /// <summary>Refuse to start unless the database is fully migrated and unedited (workers).</summary>
    Check,

    /// <summary>Do nothing at start (tests that migrate themselves).</summary>
    None,
}

/// <summary>Section "Data"; the connection string comes from ConnectionStrings:Platform.</summary>
public sealed class DataOptions
{
    public const string SectionName = "Data";

    [Required(ErrorMessage = "ConnectionStrings:Platform is not set.")]
    public string? ConnectionString { get; set; }

    public MigrationMode Migrations { get; set; } = MigrationMode.Apply;

    /// <summary>How long an invitation link stays valid.</summary>
    [Range(typeof(TimeSpan), "00:05:00", "90.00:00:00")]
    public TimeSpan InvitationLifetime { get; set; } = TimeSpan.FromDays(7);
}
