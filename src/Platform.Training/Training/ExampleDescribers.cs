using Platform.Training.Data;
using Platform.Training.Metrics;
using Platform.Training.Tabular;
using Platform.Training.Torch.Vision;

namespace Platform.Training.Training;

/// <summary>Text examples: the CSV line and the text.</summary>
internal sealed class TextExamples(IReadOnlyList<TextExample> examples) : IExampleDescriber
{
    public string Id(int index) => $"line {examples[index].Line}";

    public string? Text(int index) => examples[index].Text;

    public string? Thumbnail(int index) => null;
}

/// <summary>Image examples: the file's path in the upload and the image as the model saw it (its input size, before normalisation).</summary>
internal sealed class ImageExamples(CnnImageClassifier model, IReadOnlyList<ImageExample> examples) : IExampleDescriber
{
    public string Id(int index) => examples[index].Name;

    public string? Text(int index) => null;

    public string? Thumbnail(int index)
    {
        var config = model.Config;
        var pixels = model.PreviewPixels(examples[index].ReadBytes());
        return "data:image/png;base64," + Convert.ToBase64String(PngWriter.Encode(pixels, config.ImageWidth, config.ImageHeight, config.InChannels));
    }
}

/// <summary>Table rows: the CSV line and the row's columns other than the target, as "name=value" pairs.</summary>
internal sealed class TableExamples(TabularTable table, int target) : IExampleDescriber
{
    public string Id(int index) => $"line {table.Lines[index]}";

    public string? Text(int index) => string.Join(", ", table.Header.Select((name, c) => (name, c)).Where(x => x.c != target)
        .Select(x => $"{x.name}={table.Rows[index][x.c]}"));

    public string? Thumbnail(int index) => null;
}
