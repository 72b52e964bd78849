namespace Platform.Domain.Datasets;

public enum DatasetKind
{
    /// <summary>Labelled texts (CSV text,label): trains a text classifier.</summary>
    Text,

    /// <summary>Labelled images (ZIP, a folder per label): trains a CNN.</summary>
    Image,

    /// <summary>Unlabelled documents (.txt a line each, or a CSV text column): pre-trains a text encoder.</summary>
    Corpus,

    /// <summary>A table (CSV of numeric and categorical columns and a target column): trains a tabular MLP.</summary>
    Tabular,
}
