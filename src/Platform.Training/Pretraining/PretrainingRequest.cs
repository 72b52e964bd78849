using Platform.Training.Data;
using Platform.Training.Models.Bert;

namespace Platform.Training.Pretraining;

/// <summary>
/// What to pre-train: a corpus, a starting point, where the base model goes and where checkpoints live.
/// Start either from <paramref name="BaseModel"/> (a BERT folder in Hugging Face layout: its config,
/// vocabulary, casing and weights, a masked-LM head included when it has one) or from scratch with
/// <paramref name="Config"/> (the architecture; its vocab_size is set to the vocabulary's size) and
/// <paramref name="VocabularyPath"/> (a vocab.txt; null trains a WordPiece vocabulary of
/// <see cref="PretrainingOptions.VocabularySize"/> from the corpus's training documents).
/// </summary>
/// <param name="CorpusPath">A .csv (its <paramref name="TextColumn"/>) or a UTF-8 text file, one document per line.</param>
/// <param name="OutputDirectory">Receives the base model folder: config.json, vocab.txt, tokenizer files, model.safetensors, pretraining.json.</param>
/// <param name="CheckpointDirectory">
/// When it holds a checkpoint, pre-training resumes from it. Null keeps checkpoints in OutputDirectory/checkpoints,
/// deleted once the model is written; an explicit directory is left to its owner.
/// </param>
/// <param name="Split">
/// A fixed split into training and held-out documents (a corpus dataset's stored one), as indices
/// into the documents in the order <see cref="TextCorpus.Load"/> returns them (blank lines skipped);
/// it must cover every document once. Null holds out <see cref="PretrainingOptions.ValidationFraction"/>
/// of the documents, chosen by the seed.
/// </param>
public sealed record PretrainingRequest(
    string CorpusPath,
    string OutputDirectory,
    PretrainingOptions Options,
    string? BaseModel = null,
    BertConfig? Config = null,
    string? VocabularyPath = null,
    string? CheckpointDirectory = null,
    string TextColumn = "text",
    DataSplit? Split = null)
{
    internal string Checkpoints => CheckpointDirectory ?? Path.Combine(OutputDirectory, "checkpoints");

    internal void Validate()
    {
        Options.Validate();
        if ((BaseModel is null) == (Config is null))
        {
            throw new ArgumentException("give either a base model to continue from or a config to start from scratch, not both or neither");
        }

        if (BaseModel is not null && VocabularyPath is not null)
        {
            throw new ArgumentException("a base model brings its own vocabulary; a vocabulary file is only for starting from scratch");
        }
    }
}

/// <summary>The written base model and how the run went.</summary>
/// <param name="VocabularyTrained">True when the vocabulary was trained from the corpus for this run.</param>
public sealed record PretrainingResult(
    string ModelDirectory,
    long Steps,
    int EpochsCompleted,
    IReadOnlyList<PretrainingEpochRecord> History,
    PretrainingEvaluation? FinalEvaluation,
    PretrainingCorpusStats Corpus,
    bool VocabularyTrained,
    bool Resumed);
