using Platform.Training.Torch;
using Platform.Training.Torch.Nn;

namespace Platform.Training.Models;

/// <summary>File names of the model folder contract (DESIGN.md) and the weight I/O shared by both families.</summary>
public static class ModelFolder
{
    public const string ConfigFile = "config.json";
    public const string WeightsFile = "model.safetensors";
    public const string VocabFile = "vocab.txt";

    internal static void SaveWeights(Module model, string folder)
    {
        Directory.CreateDirectory(folder);
        TensorFiles.Save(Path.Combine(folder, WeightsFile), model.StateDict(), new Dictionary<string, string> { ["format"] = "pt" });
    }

    internal static void LoadWeights(string folder, Action<IReadOnlyDictionary<string, Tensor>> load)
    {
        var tensors = TensorFiles.Load(Path.Combine(folder, WeightsFile));
        try
        {
            load(tensors);
        }
        finally
        {
            foreach (var t in tensors.Values) t.Dispose();
        }
    }
}
