using Platform.Domain.Datasets;
using Platform.Jobs.Catalog;
using Platform.Training.Training;

namespace Platform.Jobs.Launch;

/// <summary>
/// The base model a launch starts from when the user has not chosen: one that fits the data. For
/// images the CNN follows the dataset's profile (size and colour); for text, a pre-trained encoder
/// when the catalog has one (it learns from a few hundred rows what a random one cannot).
/// </summary>
public static class DefaultBaseModel
{
    public static BaseModel? Choose(IReadOnlyList<BaseModel> catalog, DatasetKind kind, DatasetStats stats)
    {
        if (kind == DatasetKind.Tabular)
        {
            return catalog.FirstOrDefault(m => m.IsTabular);
        }

        if (kind == DatasetKind.Image)
        {
            var preset = ImagePreset(stats);
            var images = catalog.Where(m => m.DatasetKind == "Image").ToList();
            return images.FirstOrDefault(m => m.Preset == preset) ?? images.FirstOrDefault();
        }

        var text = catalog.Where(m => m.IsBert).ToList();
        return text.FirstOrDefault(IsPretrained) ?? text.FirstOrDefault(m => m.Name == DemoBaseModels.BertName) ?? text.FirstOrDefault();
    }

    /// <summary>
    /// Small greyscale images (digits, clothing, glyphs) train best at 28x28 grey; small colour ones at
    /// 32x32 RGB; anything larger at the ResNet's 64x64, which keeps more of the picture.
    /// </summary>
    public static string ImagePreset(DatasetStats stats)
    {
        var side = Math.Max(stats.Mean, (stats.MinHeight + stats.MaxHeight) / 2.0);
        var grey = stats.ColourCount == 0;
        return side switch
        {
            <= 32 when grey || (stats.ColourCount is null && side <= 28) => "cnn-28-grey",
            <= 48 => "cnn-32-rgb",
            _ => "resnet-small",
        };
    }

    private static bool IsPretrained(BaseModel model) => model.ProfileOrRead()?.Start == ModelStart.TextPretrained;
}
