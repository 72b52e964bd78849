using System.Globalization;
using System.Text.Json;

namespace Platform.Training.Tabular;

/// <summary>One row given as a JSON object: field name → value (string, number, boolean or null).</summary>
public static class TabularRow
{
    public static IReadOnlyDictionary<string, string?> FromJson(JsonElement element)
    {
        if (element.ValueKind != JsonValueKind.Object)
            throw new InvalidDataException($"a row must be a JSON object of column values, not {element.ValueKind.ToString().ToLowerInvariant()}");
        var row = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var property in element.EnumerateObject())
        {
            row[property.Name] = property.Value.ValueKind switch
            {
                JsonValueKind.Null => null,
                JsonValueKind.String => property.Value.GetString(),
                JsonValueKind.Number => property.Value.GetDouble().ToString("R", CultureInfo.InvariantCulture),
                JsonValueKind.True => "true",
                JsonValueKind.False => "false",
                _ => throw new InvalidDataException($"column '{property.Name}': a value must be a string, number, boolean or null"),
            };
        }

        return row;
    }
}
