/* The numbers of parquet.thrift (the Parquet format's metadata) that the
 * reader and writer use. */
#pragma once

enum {   /* Type */
  DMPI_PQ_BOOLEAN, DMPI_PQ_INT32, DMPI_PQ_INT64, DMPI_PQ_INT96, DMPI_PQ_FLOAT, DMPI_PQ_DOUBLE,
  DMPI_PQ_BYTE_ARRAY, DMPI_PQ_FIXED_LEN_BYTE_ARRAY,
};

enum {   /* FieldRepetitionType */
  DMPI_PQ_REQUIRED, DMPI_PQ_OPTIONAL, DMPI_PQ_REPEATED,
};

enum {   /* ConvertedType */
  DMPI_PQ_CT_UTF8 = 0, DMPI_PQ_CT_MAP = 1, DMPI_PQ_CT_MAP_KEY_VALUE = 2, DMPI_PQ_CT_LIST = 3,
  DMPI_PQ_CT_ENUM = 4, DMPI_PQ_CT_DECIMAL = 5, DMPI_PQ_CT_DATE = 6, DMPI_PQ_CT_TIME_MILLIS = 7,
  DMPI_PQ_CT_TIME_MICROS = 8, DMPI_PQ_CT_TIMESTAMP_MILLIS = 9, DMPI_PQ_CT_TIMESTAMP_MICROS = 10,
  DMPI_PQ_CT_UINT_8 = 11, DMPI_PQ_CT_UINT_16 = 12, DMPI_PQ_CT_UINT_32 = 13,
  DMPI_PQ_CT_UINT_64 = 14, DMPI_PQ_CT_INT_8 = 15, DMPI_PQ_CT_INT_16 = 16, DMPI_PQ_CT_INT_32 = 17,
  DMPI_PQ_CT_INT_64 = 18, DMPI_PQ_CT_JSON = 19, DMPI_PQ_CT_BSON = 20, DMPI_PQ_CT_INTERVAL = 21,
};

enum {   /* LogicalType: the union's field ids */
  DMPI_PQ_LT_STRING = 1, DMPI_PQ_LT_MAP = 2, DMPI_PQ_LT_LIST = 3, DMPI_PQ_LT_ENUM = 4,
  DMPI_PQ_LT_DECIMAL = 5, DMPI_PQ_LT_DATE = 6, DMPI_PQ_LT_TIME = 7, DMPI_PQ_LT_TIMESTAMP = 8,
  DMPI_PQ_LT_INTEGER = 10, DMPI_PQ_LT_UNKNOWN = 11, DMPI_PQ_LT_JSON = 12, DMPI_PQ_LT_BSON = 13,
  DMPI_PQ_LT_UUID = 14, DMPI_PQ_LT_FLOAT16 = 15,
};

enum {   /* TimeUnit: the union's field ids */
  DMPI_PQ_MILLIS = 1, DMPI_PQ_MICROS = 2, DMPI_PQ_NANOS = 3,
};

enum {   /* Encoding */
  DMPI_PQ_ENC_PLAIN = 0, DMPI_PQ_ENC_PLAIN_DICTIONARY = 2, DMPI_PQ_ENC_RLE = 3,
  DMPI_PQ_ENC_BIT_PACKED = 4, DMPI_PQ_ENC_DELTA_BINARY_PACKED = 5,
  DMPI_PQ_ENC_DELTA_LENGTH_BYTE_ARRAY = 6, DMPI_PQ_ENC_DELTA_BYTE_ARRAY = 7,
  DMPI_PQ_ENC_RLE_DICTIONARY = 8, DMPI_PQ_ENC_BYTE_STREAM_SPLIT = 9,
};

enum {   /* PageType */
  DMPI_PQ_DATA_PAGE = 0, DMPI_PQ_INDEX_PAGE = 1, DMPI_PQ_DICTIONARY_PAGE = 2,
  DMPI_PQ_DATA_PAGE_V2 = 3,
};

/* The key-value metadata entry in which the writer names the column types
 * Parquet has none for (parquet.h); other readers ignore it. */
#define DMPI_PQ_TYPES_KEY "dask-mpi.types"
