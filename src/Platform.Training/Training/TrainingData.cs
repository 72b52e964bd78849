using Platform.Training.Data;
using Platform.Training.Torch;

namespace Platform.Training.Training;

/// <summary>A labelled dataset already in the model's input form, able to produce the logits of any batch.</summary>
internal abstract class TrainingData
{
    protected TrainingData(int[] labelIds) => LabelIds = labelIds;

    public int[] LabelIds { get; }
    public int Count => LabelIds.Length;

    /// <param name="augmentSeed">Drives random augmentation; derived from the step so resume needs no extra state.</param>
    public abstract Tensor Logits(int[] indices, bool augment, ulong augmentSeed);

    /// <summary>The model's dense inputs of these examples, row after row (what an ONNX export reads); null for text.</summary>
    public virtual float[]? Inputs(int[] indices) => null;

    /// <summary>Logits of dense inputs laid out as <see cref="Inputs"/> returns them.</summary>
    public virtual Tensor LogitsOfInputs(float[] inputs, int rows) => throw new NotSupportedException("text data has no dense inputs");

    protected static float[] Gather(float[] all, int rowSize, int[] indices)
    {
        var rows = new float[indices.Length * rowSize];
        for (var r = 0; r < indices.Length; r++)
            all.AsSpan(indices[r] * rowSize, rowSize).CopyTo(rows.AsSpan(r * rowSize, rowSize));
        return rows;
    }
}

internal sealed class TextTrainingData(BertClassifier model, int[][] tokenIds, int[] labelIds, int maxLength) : TrainingData(labelIds)
{
    public override Tensor Logits(int[] indices, bool augment, ulong augmentSeed) =>
        model.Logits(indices.Select(i => tokenIds[i]).ToList(), maxLength);

    /// <summary>The tokenised batch the model reads for these examples (an ONNX export's inputs).</summary>
    public Tokenization.EncodedBatch Batch(int[] indices) =>
        model.Tokenizer.BuildBatch(indices.Select(i => tokenIds[i]).ToList(), maxLength, Tokenization.PaddingStrategy.Longest);

    public static TextTrainingData Create(BertClassifier model, IReadOnlyList<TextExample> examples, LabelVocabulary labels, int maxLength)
    {
        var ids = new int[examples.Count][];
        Parallel.For(0, examples.Count, i => ids[i] = model.Tokenizer.TokenizeToIds(examples[i].Text));
        return new TextTrainingData(model, ids, examples.Select(e => labels.GetId(e.Label!)).ToArray(), model.EffectiveMaxLength(maxLength));
    }
}

/// <summary>Images decoded once up front, in parallel: every epoch reuses the pixels, and a corrupt file fails before training.</summary>
internal sealed class ImageTrainingData(CnnImageClassifier model, float[] pixels, int[] labelIds, bool horizontalFlip) : TrainingData(labelIds)
{
    public override Tensor Logits(int[] indices, bool augment, ulong augmentSeed)
    {
        var size = model.ImageSize;
        var batch = new float[indices.Length * size];
        var random = new SeededRandom(augmentSeed);
        for (var r = 0; r < indices.Length; r++)
        {
            var target = batch.AsSpan(r * size, size);
            pixels.AsSpan(indices[r] * size, size).CopyTo(target);
            if (augment && horizontalFlip && random.NextInt(2) == 1)
            {
                FlipRows(target, model.Config.ImageWidth);
            }
        }

        return model.Logits(batch, indices.Length);
    }

    public override float[] Inputs(int[] indices) => Gather(pixels, model.ImageSize, indices);

    public override Tensor LogitsOfInputs(float[] inputs, int rows) => model.Logits(inputs, rows);

    public static ImageTrainingData Create(CnnImageClassifier model, IReadOnlyList<ImageExample> examples, LabelVocabulary labels, bool horizontalFlip)
    {
        var size = model.ImageSize;
        if ((long)size * examples.Count > Array.MaxLength)
        {
            throw new InvalidDataException($"{examples.Count} images of {size} values do not fit in memory at once");
        }

        var pixels = new float[size * examples.Count];
        var errors = new Exception?[examples.Count];
        Parallel.For(0, examples.Count, i =>
        {
            try
            {
                model.Preprocess(examples[i].ReadBytes(), examples[i].Name, pixels.AsSpan(i * size, size));
            }
            catch (Exception e) when (e is InvalidDataException or IOException)
            {
                errors[i] = e;
            }
        });

        // The first bad file in dataset order, whatever thread met it first.
        if (errors.FirstOrDefault(e => e is not null) is { } error)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(error);
        }

        return new ImageTrainingData(model, pixels, examples.Select(e => labels.GetId(e.Label!)).ToArray(), horizontalFlip);
    }

    private static void FlipRows(Span<float> image, int width)
    {
        for (var row = 0; row < image.Length / width; row++)
        {
            image.Slice(row * width, width).Reverse();
        }
    }
}

/// <summary>A table's rows already standardised and one-hot encoded (by the preprocessor fitted on the training split).</summary>
internal sealed class TabularTrainingData(TabularClassifier model, float[] features, int[] labelIds) : TrainingData(labelIds)
{
    public override Tensor Logits(int[] indices, bool augment, ulong augmentSeed)
    {
        var width = model.Preprocessor.Width;
        var batch = new float[indices.Length * width];
        for (var r = 0; r < indices.Length; r++)
            features.AsSpan(indices[r] * width, width).CopyTo(batch.AsSpan(r * width, width));
        return model.Logits(batch, indices.Length);
    }

    public override float[] Inputs(int[] indices) => Gather(features, model.Preprocessor.Width, indices);

    public override Tensor LogitsOfInputs(float[] inputs, int rows) => model.Logits(inputs, rows);
}
