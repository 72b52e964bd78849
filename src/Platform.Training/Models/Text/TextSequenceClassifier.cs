using Platform.Training.Torch;
using Platform.Training.Torch.Nn;

namespace Platform.Training.Models.Text;

/// <summary>
/// A text transformer with a sequence-classification head, in its Hugging Face layout
/// (BertForSequenceClassification, DistilBertForSequenceClassification): what BertClassifier
/// tokenizes for, trains and saves, whatever the family.
/// </summary>
public abstract class TextSequenceClassifier : Module
{
    public abstract ITextModelConfig TextConfig { get; }

    /// <summary>
    /// Logits [batch, num_labels]. <paramref name="inputIds"/>, <paramref name="attentionMask"/> (1 = token,
    /// 0 = padding) and <paramref name="tokenTypeIds"/> are int64 [batch, seq]; families without token
    /// types (DistilBERT) ignore the last.
    /// </summary>
    public abstract Tensor Forward(Tensor inputIds, Tensor attentionMask, Tensor? tokenTypeIds = null);

    /// <summary>Writes config.json and model.safetensors (vocab.txt belongs to the tokenizer).</summary>
    public abstract void Save(string folder);
}
