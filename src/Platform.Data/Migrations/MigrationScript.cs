using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace Platform.Data.Migrations;

/// <summary>One file of migrations/, named NNNN_description.sql.</summary>
public sealed partial record MigrationScript(int Version, string Name, string Sql, string Checksum)
{
    public string FileName => $"{Version:D4}_{Name}.sql";

    public static MigrationScript Parse(string fileName, string sql)
    {
        var match = FileNamePattern().Match(fileName);
        if (!match.Success)
        {
            throw new ArgumentException($"Migration file '{fileName}' is not named NNNN_description.sql.", nameof(fileName));
        }
        return new MigrationScript(int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), match.Groups[2].Value, sql, ChecksumOf(sql));
    }

    /// <summary>
    /// SHA-256 of the text with line endings normalised, so a checkout with CRLF endings does not look
    /// like an edited file.
    /// </summary>
    public static string ChecksumOf(string sql) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(sql.Replace("\r\n", "\n", StringComparison.Ordinal))));

    [GeneratedRegex(@"^(\d{4})_([a-z0-9_]+)\.sql$")]
    private static partial Regex FileNamePattern();
}
