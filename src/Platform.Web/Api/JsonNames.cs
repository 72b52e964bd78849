using System.Text.Json;
using System.Text.Json.Nodes;

namespace Platform.Web.Api;

/// <summary>
/// The API's one naming convention: camelCase. Files and event data written by the trainer keep their
/// own names (metrics.json is snake_case, like Hugging Face's); the API renames their properties on the
/// way out. Only property names change, never values.
/// </summary>
internal static class JsonNames
{
    public static JsonElement CamelCase(JsonElement element) =>
        JsonSerializer.SerializeToElement(CamelCase(JsonNode.Parse(element.GetRawText())));

    public static JsonNode? CamelCase(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                var renamed = new JsonObject();
                foreach (var (name, value) in obj.ToList())
                {
                    obj.Remove(name);
                    renamed[Name(name)] = CamelCase(value);
                }
                return renamed;
            case JsonArray array:
                var items = array.ToList();
                array.Clear();
                return new JsonArray(items.Select(CamelCase).ToArray());
            default:
                return node;
        }
    }

    /// <summary>macro_f1 → macroF1, TrainLoss → trainLoss, per_class → perClass.</summary>
    public static string Name(string name)
    {
        var parts = name.Split('_', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 0)
            return name;
        var first = JsonNamingPolicy.CamelCase.ConvertName(parts[0]);
        return first + string.Concat(parts.Skip(1).Select(p => char.ToUpperInvariant(p[0]) + p[1..]));
    }
}
