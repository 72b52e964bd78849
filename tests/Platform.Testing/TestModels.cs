using System.IO.Compression;
using Platform.Training.Torch;
using Platform.Training.Training;

namespace Platform.Testing;

/// <summary>
/// Tiny text models in Hugging Face layout (config.json, vocab.txt, model.safetensors,
/// tokenizer_config.json) for catalog and import tests: 2 layers, hidden 32, a word-level vocabulary.
/// </summary>
public static class TestModels
{
    public static readonly string[] Words = ["good", "great", "fine", "bad", "awful", "poor", "the", "movie", "was", "a", "ticket", "refund", "please", "love", "it"];

    /// <summary>
    /// A BertForSequenceClassification folder; <paramref name="bare"/> writes what sentence-transformers'
    /// MiniLM ships instead: BertModel names (no "bert." prefix), no pooler, no classifier.
    /// </summary>
    public static string WriteBert(string folder, bool bare = false, ulong seed = 1)
    {
        var work = Directory.CreateTempSubdirectory("platform-test-model-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(work, "config.json"), """
                {"architectures": ["BertModel"], "model_type": "bert", "vocab_size": 40, "hidden_size": 32, "num_hidden_layers": 2,
                 "num_attention_heads": 2, "intermediate_size": 64, "hidden_act": "gelu", "hidden_dropout_prob": 0.1,
                 "attention_probs_dropout_prob": 0.1, "max_position_embeddings": 64, "type_vocab_size": 2, "initializer_range": 0.02,
                 "layer_norm_eps": 1e-12, "pad_token_id": 0}
                """);
            WriteVocabulary(Path.Combine(work, "vocab.txt"));
            BertClassifier.Initialise(Path.Combine(work, "config.json"), Path.Combine(work, "vocab.txt"), ["LABEL_0", "LABEL_1"], folder, seed);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
        if (bare)
            Rewrite(Path.Combine(folder, "model.safetensors"), name =>
                name.StartsWith("bert.", StringComparison.Ordinal) && !name.StartsWith("bert.pooler.", StringComparison.Ordinal) ? name["bert.".Length..] : null);
        return folder;
    }

    /// <summary>A DistilBERT folder with DistilBertForMaskedLM's names, as distilbert-base-uncased has them (vocab_* head included).</summary>
    public static string WriteDistilBert(string folder, ulong seed = 1)
    {
        var work = Directory.CreateTempSubdirectory("platform-test-model-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(work, "config.json"), """
                {"architectures": ["DistilBertForMaskedLM"], "model_type": "distilbert", "vocab_size": 40, "dim": 32, "n_layers": 2,
                 "n_heads": 2, "hidden_dim": 64, "activation": "gelu", "dropout": 0.1, "attention_dropout": 0.1, "seq_classif_dropout": 0.2,
                 "max_position_embeddings": 64, "sinusoidal_pos_embds": false, "initializer_range": 0.02, "pad_token_id": 0}
                """);
            WriteVocabulary(Path.Combine(work, "vocab.txt"));
            BertClassifier.Initialise(Path.Combine(work, "config.json"), Path.Combine(work, "vocab.txt"), ["LABEL_0", "LABEL_1"], folder, seed);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
        var path = Path.Combine(folder, "model.safetensors");
        var tensors = TensorFiles.Load(path);
        try
        {
            var kept = tensors.Where(kv => kv.Key.StartsWith("distilbert.", StringComparison.Ordinal)).ToDictionary(kv => kv.Key, kv => kv.Value);
            using var transform = Tensor.Zeros([32, 32]);
            using var bias = Tensor.Zeros([32]);
            using var projector = Tensor.Zeros([40]);
            kept["vocab_transform.weight"] = transform;
            kept["vocab_transform.bias"] = bias;
            kept["vocab_layer_norm.weight"] = bias;
            kept["vocab_layer_norm.bias"] = bias;
            kept["vocab_projector.bias"] = projector;
            TensorFiles.Save(path, kept, new Dictionary<string, string> { ["format"] = "pt" });
        }
        finally
        {
            foreach (var tensor in tensors.Values)
                tensor.Dispose();
        }
        return folder;
    }

    /// <summary>A ZIP of the folder's files, at the top or inside <paramref name="wrapper"/>/ (what zipping the folder itself gives).</summary>
    public static byte[] Zip(string folder, string? wrapper = null, params (string Name, byte[] Content)[] extra)
    {
        using var buffer = new MemoryStream();
        using (var archive = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var file in Directory.GetFiles(folder))
                archive.CreateEntryFromFile(file, wrapper is null ? Path.GetFileName(file) : $"{wrapper}/{Path.GetFileName(file)}");
            foreach (var (name, content) in extra)
            {
                using var stream = archive.CreateEntry(name).Open();
                stream.Write(content);
            }
        }
        return buffer.ToArray();
    }

    public static void WriteVocabulary(string path) =>
        File.WriteAllLines(path, ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", .. Words, "!", ".", ",", "##s", "##ed"]);

    /// <summary>Renames (or, for null, drops) every tensor of a safetensors file.</summary>
    private static void Rewrite(string path, Func<string, string?> rename)
    {
        var tensors = TensorFiles.Load(path);
        try
        {
            var renamed = tensors.Select(kv => (Name: rename(kv.Key), kv.Value)).Where(t => t.Name is not null)
                .ToDictionary(t => t.Name!, t => t.Value);
            TensorFiles.Save(path, renamed, new Dictionary<string, string> { ["format"] = "pt" });
        }
        finally
        {
            foreach (var tensor in tensors.Values)
                tensor.Dispose();
        }
    }
}
