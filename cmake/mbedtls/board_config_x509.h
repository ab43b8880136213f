/* mbedTLS 3.6 for the RP2040 board with X.509 client certificates (PICOHUB_BOARD_X509=ON, issue 11 §7): the board
 * configuration plus ECDSA, for the CertificateVerify signature of an x509=true device's P-256 key. Built into its
 * own prefix (.deps/mbedtls/board-x509, scripts/mbedtls-board.sh --x509) so the default image carries none of it:
 * even unused, ECDSA_C puts its entries into the pk layer's EC method table (~350 B). The firmware links only the
 * signing half (apps/firmware/ecdsa_sign_only.cpp). */
#ifndef PICOHUB_MBEDTLS_BOARD_CONFIG_X509_H
#define PICOHUB_MBEDTLS_BOARD_CONFIG_X509_H

#include "board_config.h"

#define MBEDTLS_ECDSA_C

#endif /* PICOHUB_MBEDTLS_BOARD_CONFIG_X509_H */
