namespace Platform.Data.Migrations;

/// <summary>The database cannot be brought to (or trusted at) the schema this build expects.</summary>
public sealed class MigrationException : Exception
{
    public MigrationException(string fileName, string message, Exception? inner = null)
        : base(message, inner)
    {
        FileName = fileName;
    }

    public string FileName { get; }
}
