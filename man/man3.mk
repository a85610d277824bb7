## Section 3 pages of the C API
