namespace Platform.Training.Data;

/// <summary>Labels and their ids; built from data the ids follow ordinal sort order, so every run agrees.</summary>
public sealed class LabelVocabulary
{
    private readonly Dictionary<string, int> _ids;

    public LabelVocabulary(IEnumerable<string> labelsInIdOrder)
    {
        Labels = labelsInIdOrder.ToArray();
        _ids = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < Labels.Count; i++)
        {
            if (!_ids.TryAdd(Labels[i], i))
            {
                throw new ArgumentException($"label '{Labels[i]}' is listed twice");
            }
        }

        if (Labels.Count < 2)
        {
            throw new InvalidDataException($"a classifier needs at least 2 labels, got {Labels.Count}");
        }
    }

    public IReadOnlyList<string> Labels { get; }
    public int Count => Labels.Count;

    public static LabelVocabulary FromData(IEnumerable<string> labels) =>
        new(labels.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal));

    public bool TryGetId(string label, out int id) => _ids.TryGetValue(label, out id);

    public int GetId(string label) =>
        _ids.TryGetValue(label, out var id)
            ? id
            : throw new InvalidDataException($"unknown label '{label}'; the model knows: {string.Join(", ", Labels)}");

    public string this[int id] => Labels[id];
}
