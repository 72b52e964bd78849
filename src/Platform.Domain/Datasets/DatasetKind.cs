namespace Platform.Domain.Datasets;

public enum DatasetKind
{
    Text,
    Image,
}
